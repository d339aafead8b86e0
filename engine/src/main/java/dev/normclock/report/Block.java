package dev.normclock.report;

import java.util.List;
import java.util.regex.Pattern;

/** One block of a {@link ReportDocument}; both renderings walk the same list of blocks. */
sealed interface Block {

    /** A section heading; level 1 is a top-level section (the document title sits above it). */
    record Heading(int level, String text) implements Block {
    }

    record Paragraph(String text) implements Block {
    }

    record Bullets(List<String> items) implements Block {
    }

    /** Rows are padded with empty cells to the header's width. */
    record Table(List<String> header, List<List<String>> rows) implements Block {

        private static final String NUMBER =
                "[+\\-\u2212]?(?:(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d*)?|\\.\\d+)(?:[eE][+\\-\u2212]?\\d+)?"
                        + "|[+\\-\u2212]?(?:NaN|nan|[Ii]nf|Infinity|\u221e)";
        /** A number, optionally "± spread", optionally ending in % or × (speed-ups). */
        private static final Pattern NUMERIC =
                Pattern.compile("(?:" + NUMBER + ")(?:\\s*\u00b1\\s*(?:" + NUMBER + "))?\\s*[%\u00d7]?");
        /** Cells that say "no value": they neither make nor break a numeric column. */
        private static final Pattern MISSING = Pattern.compile("|-|\u2212|\u2013|\u2014|n/a|N/A|NA");

        /** Columns to right-align: at least one body cell, and every non-missing one, is a number. */
        boolean[] numericColumns() {
            boolean[] numeric = new boolean[header.size()];
            for (int col = 0; col < numeric.length; col++) {
                boolean any = false;
                boolean all = true;
                for (List<String> row : rows) {
                    String cell = row.get(col).strip();
                    if (MISSING.matcher(cell).matches()) {
                        continue;
                    }
                    any = true;
                    all &= NUMERIC.matcher(cell).matches();
                }
                numeric[col] = any && all;
            }
            return numeric;
        }
    }

    record Figure(SavedFigure figure) implements Block {
    }

    record Preformatted(String text) implements Block {
    }

    /** A highlighted remark, such as a warning about numerics. */
    record Note(String text) implements Block {
    }
}
