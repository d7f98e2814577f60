package io.mesh4j.cli;

import java.io.PrintWriter;
import java.util.List;

/** Columns for people: each as wide as its widest cell, two spaces apart, like kubectl's. */
final class Table {

  private Table() {}

  /** Prints {@code rows} (the first is the header) aligned in columns. */
  static void print(List<String[]> rows, PrintWriter out) {
    int columns = 0;
    for (String[] row : rows) {
      columns = Math.max(columns, row.length);
    }
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        sb.append(row[i]);
        if (i < row.length - 1) {
          sb.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
