package dev.normclock.report;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a report as GitHub-flavoured Markdown. Plain text is backslash-escaped wherever Markdown would
 * read it as markup, so what the report says is what the reader sees.
 */
final class MarkdownWriter {

    /** Characters that are markup anywhere in a line. */
    private static final String ALWAYS_ESCAPED = "\\`*_[]<>#|~";
    /** A line start that Markdown would read as a bullet or a heading underline. */
    private static final Pattern MARKER_START = Pattern.compile("[-+=](?:\\s.*|$)", Pattern.DOTALL);
    /** A line start that Markdown would read as a numbered list item: "12. " or "12) ". */
    private static final Pattern NUMBER_START = Pattern.compile("(\\d+)([.)])(\\s.*|$)", Pattern.DOTALL);
    private static final Pattern ENTITY_LIKE = Pattern.compile("&(?:#\\d+|#[xX]\\p{XDigit}+|\\p{Alnum}+);");

    private final Path folder;
    private int figureNumber;

    /** @param folder the folder of the Markdown file, that figure paths are made relative to */
    MarkdownWriter(Path folder) {
        this.folder = folder;
    }

    String render(String title, List<Block> blocks) {
        StringBuilder out = new StringBuilder();
        if (!title.isEmpty()) {
            out.append("# ").append(inline(Inline.parse(title), false)).append("\n\n");
        }
        for (Block block : blocks) {
            switch (block) {
                case Block.Heading h -> out.append("#".repeat(h.level() + 1)).append(' ')
                        .append(inline(Inline.parse(h.text()), false)).append('\n');
                case Block.Paragraph p -> out.append(blockText(p.text())).append('\n');
                case Block.Bullets b -> b.items().forEach(item -> out.append("- ").append(blockText(item)).append('\n'));
                case Block.Table t -> table(out, t);
                case Block.Figure f -> figure(out, f.figure());
                case Block.Preformatted p -> preformatted(out, p.text());
                case Block.Note n -> out.append("> **Note.** ").append(inline(Inline.parse(n.text()), false)).append('\n');
            }
            out.append('\n');
        }
        return out.toString().stripTrailing() + "\n";
    }

    private static String blockText(String text) {
        String md = inline(Inline.parse(text), false);
        if (MARKER_START.matcher(md).matches()) {
            return "\\" + md;
        }
        Matcher number = NUMBER_START.matcher(md);
        return number.matches() ? number.group(1) + "\\" + number.group(2) + number.group(3) : md;
    }

    private static void table(StringBuilder out, Block.Table t) {
        boolean[] numeric = t.numericColumns();
        out.append('|');
        for (String cell : t.header()) {
            out.append(' ').append(cell(cell)).append(" |");
        }
        out.append("\n|");
        for (boolean right : numeric) {
            out.append(right ? " ---: |" : " --- |");
        }
        out.append('\n');
        for (List<String> row : t.rows()) {
            out.append('|');
            for (String cell : row) {
                out.append(' ').append(cell(cell)).append(" |");
            }
            out.append('\n');
        }
    }

    private static String cell(String text) {
        return inline(Inline.parse(text), true);
    }

    private void figure(StringBuilder out, SavedFigure f) {
        figureNumber++;
        String alt = escapeText(Inline.plain(Inline.parse(f.caption().isBlank() ? f.title() : f.caption())));
        out.append("![").append(alt).append("](").append(link(f.png())).append(")\n\n");
        out.append("**Figure ").append(figureNumber).append(".** ");
        if (!f.caption().isBlank()) {
            out.append(inline(Inline.parse(f.caption()), false)).append(' ');
        }
        out.append("([SVG](").append(link(f.svg())).append("))\n");
    }

    private static void preformatted(StringBuilder out, String text) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = text.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(Math.max(3, longest + 1));
        out.append(fence).append("text\n").append(text).append('\n').append(fence).append('\n');
    }

    /** Inline parts as Markdown; in a table every pipe is escaped, code spans included (a GFM rule). */
    private static String inline(List<Inline> parts, boolean inTable) {
        StringBuilder out = new StringBuilder();
        for (Inline part : parts) {
            switch (part) {
                case Inline.Text t -> out.append(escapeText(t.text()));
                case Inline.Code c -> out.append(code(inTable ? c.code().replace("|", "\\|") : c.code()));
                case Inline.Bold b -> out.append("**").append(inline(b.parts(), inTable)).append("**");
            }
        }
        return out.toString();
    }

    private static String escapeText(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (ALWAYS_ESCAPED.indexOf(c) >= 0) {
                out.append('\\').append(c);
            } else if (c == '&' && ENTITY_LIKE.matcher(text).region(i, text.length()).lookingAt()) {
                out.append("\\&");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A code span whose fence is longer than any backtick run inside it. */
    private static String code(String code) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < code.length(); i++) {
            run = code.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(longest + 1);
        boolean pad = code.startsWith("`") || code.endsWith("`") || code.startsWith(" ") && code.endsWith(" ");
        return pad ? fence + " " + code + " " + fence : fence + code + fence;
    }

    /** The file's path relative to the Markdown file's folder, with '/' separators, percent-encoded. */
    private String link(Path file) {
        Path target = file.toAbsolutePath().normalize();
        Path relative;
        try {
            relative = folder.relativize(target);
        } catch (IllegalArgumentException e) {
            relative = target; // another root: only an absolute path can reach it
        }
        StringBuilder out = new StringBuilder();
        if (relative.isAbsolute()) {
            out.append('/');
        }
        for (int i = 0; i < relative.getNameCount(); i++) {
            if (i > 0) {
                out.append('/');
            }
            out.append(percentEncode(relative.getName(i).toString()));
        }
        return out.toString();
    }

    private static String percentEncode(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }
}
