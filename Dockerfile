# spend-monitor image: the CLI (`run`, `prices load`, `simulate`, `gpu-collector`, ...).
#   docker build -t spend-monitor .
#   docker run --rm spend-monitor --help
# Bases pinned to exact versions (bump them together with the JDK the project tests on).
#
# Build stage: the Maven reactor with the `image` profile: the cli module's local-cluster
# dependency becomes `provided`, so the broker (kafka_2.13, kafka-server, Scala) and Testcontainers
# jars that only it brings stay out of cli/target/lib. The small local-cluster jar itself is added
# back (picocli reads the `local`/`demo`/`bench` classes, whose methods name its types), so every
# command starts; `local`, `demo` and `bench` without -b/-r stop with an error saying the image has
# no local broker and registry (run them from a source checkout, or pass -b/-r).
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -DskipTests -Pimage package \
 && test -f cli/target/spend-monitor.jar && test -d cli/target/lib \
 && if ls cli/target/lib | grep -E '^(kafka_2\.13|kafka-server|kafka-raft|kafka-metadata|kafka-storage|scala-|testcontainers)'; then \
      echo "broker jars in cli/target/lib: the image profile did not apply" >&2; exit 1; \
    fi \
 && cp local-cluster/target/local-cluster-*.jar cli/target/lib/

# Runtime stage: a JRE, the jar and its dependencies, a non-root user. No curl or wget: the health
# check is a JDK-only class in the app's own jar (io.spendmonitor.cli.HealthProbe).
FROM eclipse-temurin:17.0.16_8-jre-noble
RUN groupadd --system --gid 10001 spend \
 && useradd --system --uid 10001 --gid spend --home-dir /app --shell /usr/sbin/nologin spend
WORKDIR /app
# the class path is the jar and every jar in lib/ (local-cluster's too, which the manifest does not list)
COPY --from=build /src/cli/target/spend-monitor.jar /app/spend-monitor.jar
COPY --from=build /src/cli/target/lib/ /app/lib/
USER 10001:10001
# Kafka Streams keeps its state under java.io.tmpdir (/tmp) unless configured otherwise
# heap 60 % of the container's memory: RocksDB's shared cache (spend.rocksdb.memory-mb) and the
# JVM's own memory live beside it; one glibc malloc arena per thread would only fragment
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=60" MALLOC_ARENA_MAX=2
EXPOSE 8080
# `run` on its default port; a small JVM of its own (-Xms/-Xmx override the app's percentages)
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=12 \
  CMD ["java", "-Xms8m", "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "/app/spend-monitor.jar", \
       "io.spendmonitor.cli.HealthProbe", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["java", "-cp", "/app/spend-monitor.jar:/app/lib/*", "io.spendmonitor.cli.SpendMonitorCli"]
CMD ["--help"]
