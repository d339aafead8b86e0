package dev.normclock.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders a report as one self-contained HTML5 file. Figures are embedded as {@code data:} URIs of their
 * SVG rather than as inline markup: each SVG then lives in its own document, so ids from different figures
 * (XChart names its clip paths) can never clash, and nothing in a figure can affect the page. The output
 * is also well-formed XML (void elements are self-closed), so it can be checked with an XML parser.
 */
final class HtmlWriter {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static final String STYLE = """
            :root { color-scheme: light; }
            body { margin: 0; background: #fff; color: #1f2328;
              font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
            main { max-width: 58rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
            h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.8em 0 0.6em; }
            h1 { font-size: 2rem; margin-top: 0.5em; }
            h2 { font-size: 1.5rem; padding-bottom: 0.25em; border-bottom: 1px solid #d8dee4; }
            h3 { font-size: 1.25rem; }
            h4, h5, h6 { font-size: 1.05rem; }
            p, ul, ol { margin: 0.7em 0; }
            code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
              font-size: 0.88em; }
            code { background: #f0f2f5; border-radius: 4px; padding: 0.1em 0.35em; }
            pre { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 6px; padding: 0.8em 1em;
              overflow-x: auto; line-height: 1.4; }
            pre code { background: none; padding: 0; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 0.95em; display: block; overflow-x: auto; }
            th, td { border: 1px solid #d0d7de; padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
            thead th { background: #eef1f4; }
            tbody tr:nth-child(even) { background: #f6f8fa; }
            th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
            figure { margin: 1.5em 0; text-align: center; }
            figure img { max-width: 100%; height: auto; }
            figcaption { margin-top: 0.4em; color: #424a53; font-size: 0.93em; text-align: left; }
            .fig-label { font-weight: 600; }
            .note { margin: 1em 0; padding: 0.7em 1em; background: #fff8e1; border-left: 4px solid #d4a72c;
              border-radius: 0 6px 6px 0; }
            nav.toc { margin: 1em 0 2em; padding: 0.7em 1.2em; background: #f6f8fa; border: 1px solid #e1e4e8;
              border-radius: 6px; }
            nav.toc .toc-title { font-weight: 600; margin: 0.2em 0; }
            nav.toc ul { margin: 0.2em 0; padding-left: 1.3em; }
            a { color: #0b62c4; text-decoration: none; }
            a:hover { text-decoration: underline; }
            @media print { nav.toc { display: none; } figure { break-inside: avoid; } }
            """;

    private final Set<String> ids = new HashSet<>();
    private final Map<Block.Heading, String> headingIds = new IdentityHashMap<>();

    String render(String title, List<Block> blocks) throws IOException {
        String documentTitle = !title.isEmpty() ? title : blocks.stream()
                .filter(b -> b instanceof Block.Heading).map(b -> ((Block.Heading) b).text()).findFirst().orElse("Report");
        StringBuilder out = new StringBuilder(1 << 16);
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>").append(escape(Inline.plain(Inline.parse(documentTitle)))).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n<main>\n");
        if (!title.isEmpty()) {
            out.append("<h1>").append(inline(Inline.parse(title))).append("</h1>\n");
        }
        List<Block.Heading> headings = blocks.stream()
                .filter(b -> b instanceof Block.Heading).map(b -> (Block.Heading) b).toList();
        ids.add("contents");
        for (Block.Heading h : headings) {
            headingIds.put(h, uniqueId(slug(Inline.plain(Inline.parse(h.text())))));
        }
        tableOfContents(out, headings);
        int figureNumber = 0;
        for (Block block : blocks) {
            switch (block) {
                case Block.Heading h -> {
                    int level = h.level() + 1;
                    out.append("<h").append(level).append(" id=\"").append(headingIds.get(h)).append("\">")
                            .append(inline(Inline.parse(h.text()))).append("</h").append(level).append(">\n");
                }
                case Block.Paragraph p -> out.append("<p>").append(inline(Inline.parse(p.text()))).append("</p>\n");
                case Block.Bullets b -> {
                    out.append("<ul>\n");
                    b.items().forEach(item -> out.append("<li>").append(inline(Inline.parse(item))).append("</li>\n"));
                    out.append("</ul>\n");
                }
                case Block.Table t -> table(out, t);
                case Block.Figure f -> figure(out, f.figure(), ++figureNumber);
                case Block.Preformatted p -> out.append("<pre><code>").append(escape(p.text())).append("</code></pre>\n");
                case Block.Note n -> out.append("<div class=\"note\" role=\"note\"><strong>Note.</strong> ")
                        .append(inline(Inline.parse(n.text()))).append("</div>\n");
            }
        }
        out.append("</main>\n</body>\n</html>\n");
        return out.toString();
    }

    /** A nested list of links to the headings; omitted when there are none. */
    private void tableOfContents(StringBuilder out, List<Block.Heading> headings) {
        if (headings.isEmpty()) {
            return;
        }
        out.append("<nav class=\"toc\" id=\"contents\" aria-label=\"Contents\">\n")
                .append("<p class=\"toc-title\">Contents</p>\n<ul>");
        Deque<Integer> open = new ArrayDeque<>(); // levels of the open <li>s, innermost first
        for (Block.Heading h : headings) {
            if (open.isEmpty()) {
                out.append("\n<li>");
            } else if (h.level() > open.peek()) {
                out.append("\n<ul>\n<li>");
            } else {
                out.append("</li>");
                open.pop();
                while (!open.isEmpty() && open.peek() >= h.level()) {
                    out.append("\n</ul></li>");
                    open.pop();
                }
                out.append("\n<li>");
            }
            out.append("<a href=\"#").append(headingIds.get(h)).append("\">")
                    .append(inline(Inline.parse(h.text()))).append("</a>");
            open.push(h.level());
        }
        out.append("</li>");
        open.pop();
        while (!open.isEmpty()) {
            out.append("\n</ul></li>");
            open.pop();
        }
        out.append("\n</ul>\n</nav>\n");
    }

    private static void table(StringBuilder out, Block.Table t) {
        boolean[] numeric = t.numericColumns();
        out.append("<table>\n<thead>\n<tr>");
        for (int col = 0; col < numeric.length; col++) {
            out.append(numeric[col] ? "<th class=\"num\">" : "<th>")
                    .append(inline(Inline.parse(t.header().get(col)))).append("</th>");
        }
        out.append("</tr>\n</thead>\n<tbody>\n");
        for (List<String> row : t.rows()) {
            out.append("<tr>");
            for (int col = 0; col < numeric.length; col++) {
                out.append(numeric[col] ? "<td class=\"num\">" : "<td>")
                        .append(inline(Inline.parse(row.get(col)))).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</tbody>\n</table>\n");
    }

    private void figure(StringBuilder out, SavedFigure f, int number) throws IOException {
        String caption = f.caption().isBlank() ? f.title() : f.caption();
        out.append("<figure id=\"").append(uniqueId("figure-" + number)).append("\">\n")
                .append("<img src=\"").append(dataUri(f)).append("\" alt=\"")
                .append(escape(Inline.plain(Inline.parse(caption)))).append("\"/>\n")
                .append("<figcaption><span class=\"fig-label\">Figure ").append(number).append(".</span>");
        if (!caption.isBlank()) {
            out.append(' ').append(inline(Inline.parse(caption)));
        }
        out.append("</figcaption>\n</figure>\n");
    }

    /** The SVG as a data URI; the PNG if the SVG is missing or not an SVG document; an error if neither works. */
    private static String dataUri(SavedFigure f) throws IOException {
        try {
            String svg = SvgMarkup.rootElementOnly(Files.readString(f.svg(), StandardCharsets.UTF_8));
            if (SvgMarkup.isSvgDocument(svg)) {
                return "data:image/svg+xml;base64,"
                        + Base64.getEncoder().encodeToString(svg.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // fall back to the PNG below
        }
        byte[] png;
        try {
            png = Files.readAllBytes(f.png());
        } catch (IOException e) {
            throw new IOException("figure '" + f.baseName() + "': neither " + f.svg() + " nor " + f.png()
                    + " can be read", e);
        }
        if (png.length < PNG_SIGNATURE.length
                || !Arrays.equals(png, 0, PNG_SIGNATURE.length, PNG_SIGNATURE, 0, PNG_SIGNATURE.length)) {
            throw new IOException("figure '" + f.baseName() + "': " + f.svg() + " is not an SVG and " + f.png()
                    + " is not a PNG");
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    private static String inline(List<Inline> parts) {
        StringBuilder out = new StringBuilder();
        for (Inline part : parts) {
            switch (part) {
                case Inline.Text t -> out.append(escape(t.text()));
                case Inline.Code c -> out.append("<code>").append(escape(c.code())).append("</code>");
                case Inline.Bold b -> out.append("<strong>").append(inline(b.parts())).append("</strong>");
            }
        }
        return out.toString();
    }

    /** Lower-case letters, digits and hyphens, as GitHub makes heading anchors. */
    private static String slug(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
                out.append(c);
            } else if (Character.isWhitespace(c)) {
                out.append('-');
            }
        }
        String slug = out.toString().replaceAll("-{2,}", "-").replaceAll("^-|-$", "");
        return slug.isEmpty() ? "section" : slug;
    }

    private String uniqueId(String wanted) {
        String id = wanted;
        for (int n = 2; !ids.add(id); n++) {
            id = wanted + "-" + n;
        }
        return id;
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
            }
        }
        return out.toString();
    }
}
