package io.spendmonitor.producers.text;

import java.util.ArrayList;
import java.util.List;

/** Rows of cells as lines of aligned columns, two spaces apart, for the terminal tables of the CLI. */
public final class TextTable {
    private TextTable() {
    }

    /**
     * @param rows        the header first, then the rows; every row has the same number of cells
     * @param rightAlign  per column, whether it is right-aligned (numbers); null: all left-aligned
     * @return one line per row, without trailing spaces
     */
    public static List<String> align(List<List<String>> rows, boolean[] rightAlign) {
        int columns = rows.isEmpty() ? 0 : rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                String pad = " ".repeat(widths[i] - cell.length());
                boolean right = rightAlign != null && rightAlign[i];
                line.append(right ? pad + cell : cell + (i < row.size() - 1 ? pad : ""));
                if (i < row.size() - 1) {
                    line.append("  ");
                }
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }
}
