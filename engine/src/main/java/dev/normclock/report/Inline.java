package dev.normclock.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The inline markup report text may use: {@code `code`} spans and {@code **bold**}, nothing else, so that
 * plain text from anywhere (run names, error messages) shows as written in both renderings. A backtick or
 * {@code **} without its closing partner stays literal text. Code spans follow CommonMark: a span opened by
 * N backticks ends at the next run of exactly N, and one space on each side is dropped when both are there.
 */
sealed interface Inline {

    record Text(String text) implements Inline {
    }

    record Code(String code) implements Inline {
    }

    record Bold(List<Inline> parts) implements Inline {
    }

    /** Parses one block's text; line breaks become spaces, as a block is one flowing paragraph. */
    static List<Inline> parse(String text) {
        return parse(text.strip().replaceAll("[ \\t]*\\R[ \\t]*", " "), true);
    }

    /** The text without markup: code as its content, bold as its text. */
    static String plain(List<Inline> parts) {
        StringBuilder out = new StringBuilder();
        for (Inline part : parts) {
            switch (part) {
                case Text t -> out.append(t.text());
                case Code c -> out.append(c.code());
                case Bold b -> out.append(plain(b.parts()));
            }
        }
        return out.toString();
    }

    private static List<Inline> parse(String s, boolean allowBold) {
        List<Inline> parts = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '`') {
                int run = runOfBackticks(s, i);
                int close = closingBackticks(s, i + run, run);
                if (close < 0) {
                    text.append(s, i, i + run);
                    i += run;
                    continue;
                }
                flush(text, parts);
                parts.add(new Code(codeContent(s.substring(i + run, close))));
                i = close + run;
            } else if (allowBold && s.startsWith("**", i)) {
                int close = closingBold(s, i + 2);
                if (close < 0) {
                    text.append("**");
                    i += 2;
                    continue;
                }
                flush(text, parts);
                parts.add(new Bold(parse(s.substring(i + 2, close), false)));
                i = close + 2;
            } else {
                text.append(c);
                i++;
            }
        }
        flush(text, parts);
        return List.copyOf(parts);
    }

    private static void flush(StringBuilder text, List<Inline> parts) {
        if (!text.isEmpty()) {
            parts.add(new Text(text.toString()));
            text.setLength(0);
        }
    }

    private static int runOfBackticks(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) == '`') {
            i++;
        }
        return i - from;
    }

    /** The start of the next run of exactly {@code run} backticks at or after {@code from}, or -1. */
    private static int closingBackticks(String s, int from, int run) {
        int i = from;
        while (i < s.length()) {
            if (s.charAt(i) == '`') {
                int len = runOfBackticks(s, i);
                if (len == run) {
                    return i;
                }
                i += len;
            } else {
                i++;
            }
        }
        return -1;
    }

    private static String codeContent(String raw) {
        if (raw.length() >= 2 && raw.startsWith(" ") && raw.endsWith(" ") && !raw.isBlank()) {
            return raw.substring(1, raw.length() - 1);
        }
        return raw;
    }

    /**
     * The start of the {@code **} closing a bold span whose content starts at {@code from}, skipping code
     * spans; -1 if there is none, or if the content would be empty or start or end with a space (which
     * Markdown would not render bold either).
     */
    private static int closingBold(String s, int from) {
        if (from >= s.length() || Character.isWhitespace(s.charAt(from))) {
            return -1;
        }
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '`') {
                int run = runOfBackticks(s, i);
                int close = closingBackticks(s, i + run, run);
                i = close < 0 ? i + run : close + run;
            } else if (s.startsWith("**", i)) {
                if (i == from || Character.isWhitespace(s.charAt(i - 1))) {
                    return -1;
                }
                return i;
            } else {
                i++;
            }
        }
        return -1;
    }
}
