# spend-monitor image: the CLI (`run`, `prices load`, `simulate`, `gpu-collector`, ...).
#   docker build -t spend-monitor .
#   docker run --rm spend-monitor --help
# Build stage: the whole Maven reactor (registry-app included: the reactor builds it; only the
# CLI jar and its lib/ folder go into the image).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -DskipTests package \
 && test -f cli/target/spend-monitor.jar && test -d cli/target/lib

# Runtime stage: a JRE, the jar and its dependencies, a non-root user.
FROM eclipse-temurin:17-jre
# curl: the compose healthcheck (GET /health)
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 spend \
 && useradd --system --uid 10001 --gid spend --home-dir /app --shell /usr/sbin/nologin spend
WORKDIR /app
# the jar's manifest puts lib/*.jar on its class path: keep them side by side
COPY --from=build /src/cli/target/spend-monitor.jar /app/spend-monitor.jar
COPY --from=build /src/cli/target/lib/ /app/lib/
USER 10001:10001
# Kafka Streams keeps its state under java.io.tmpdir (/tmp) unless configured otherwise
# heap 60 % of the container's memory: RocksDB's shared cache (spend.rocksdb.memory-mb) and the
# JVM's own memory live beside it; one glibc malloc arena per thread would only fragment
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=60" MALLOC_ARENA_MAX=2
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/spend-monitor.jar"]
CMD ["--help"]
