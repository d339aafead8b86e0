package dev.normclock.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportDocumentTest {

    /** Two real figures, drawn once for all tests (drawing is the slow part). */
    @TempDir
    static Path shared;
    private static SavedFigure delay;
    private static SavedFigure accuracy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void drawFigures() throws IOException {
        Path figures = shared.resolve("figures");
        delay = Chart.of("Delay", "norm", "steps").logX().logY().size(320, 240)
                .points("runs", new double[] {1, 10, 100}, new double[] {5, 50, 500},
                        new double[] {4, 40, 400}, new double[] {7, 70, 700})
                .save(figures, "delay", "Delay against `norm` <log-log>.");
        accuracy = Chart.of("Accuracy", "step", "accuracy").size(320, 240)
                .line("test", new double[] {0, 1, 2}, new double[] {0.1, 0.5, 1.0})
                .save(figures, "accuracy", "Test accuracy & train accuracy.");
    }

    private static ReportDocument sample() {
        return new ReportDocument()
                .title("Grokking <study> & notes")
                .paragraph("The store is `ResultsStore` and the claim is **bold**; 2 < 3 & 4 > 1.")
                .note("TF32 changes the numerics of `matmul`.")
                .heading(1, "Setup")
                .bullets(List.of("modular addition, p = 97", "- a leading dash", "1. not a list"))
                .heading(2, "Hyper-parameters")
                .table(List.of("name", "value", "note"), List.of(
                        List.of("lr", "1e-3", "a | b"),
                        List.of("wd", "1,000", "x < y & z"),
                        List.of("eps", "\u2212", "`a|b`")))
                .heading(1, "Results")
                .figure(delay)
                .paragraph("Between the figures.")
                .figure(accuracy)
                .heading(1, "Results")
                .preformatted("normclock run --p 97\n  <config> & more")
                .heading(3, "Deep");
    }

    @Test
    void htmlIsSelfContainedWellFormedAndEscaped() throws Exception {
        Path file = tmp.resolve("report.html");
        sample().writeHtml(file);
        String html = Files.readString(file);

        assertFalse(html.contains("http://"), "no external references");
        assertFalse(html.contains("https://"));
        assertFalse(html.contains("src=\"file"));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("<link"));
        assertFalse(html.contains("url("));

        // Void elements are self-closed, so an XML parser can check the whole structure.
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
        assertEquals("Grokking <study> & notes", doc.getElementsByTagName("title").item(0).getTextContent());
        assertTrue(html.contains("<h1>Grokking &lt;study&gt; &amp; notes</h1>"));
        assertTrue(html.contains("<code>ResultsStore</code>"));
        assertTrue(html.contains("<strong>bold</strong>"));
        assertTrue(html.contains("2 &lt; 3 &amp; 4 &gt; 1."));
        assertTrue(html.contains("<td>x &lt; y &amp; z</td>"));
        assertTrue(html.contains("<td>a | b</td>"));
        assertTrue(html.contains("<code>a|b</code>"));
        assertTrue(html.contains("&lt;config&gt; &amp; more"));
        assertTrue(html.contains("<td class=\"num\">1e-3</td>"), "numeric column right-aligned");
        assertTrue(html.contains("<td>a | b</td>"), "text column left as is");

        // Each figure exactly once, as its own SVG.
        NodeList figures = doc.getElementsByTagName("figure");
        assertEquals(2, figures.getLength());
        for (SavedFigure f : List.of(delay, accuracy)) {
            String svg = SvgMarkup.rootElementOnly(Files.readString(f.svg()));
            String uri = "data:image/svg+xml;base64,"
                    + Base64.getEncoder().encodeToString(svg.getBytes(StandardCharsets.UTF_8));
            assertEquals(1, count(html, uri), f.baseName());
        }
        Element img = (Element) ((Element) figures.item(0)).getElementsByTagName("img").item(0);
        assertEquals("Delay against norm <log-log>.", img.getAttribute("alt"));
        byte[] embedded = Base64.getDecoder().decode(img.getAttribute("src").substring(img.getAttribute("src").indexOf(',') + 1));
        String embeddedSvg = new String(embedded, StandardCharsets.UTF_8);
        assertTrue(embeddedSvg.startsWith("<svg"), "no XML declaration or DOCTYPE inside the page");
        assertTrue(SvgMarkup.isSvgDocument(embeddedSvg));

        // Every TOC link points at a heading that exists, and ids are unique.
        Set<String> ids = new HashSet<>();
        List<String> headingIds = new ArrayList<>();
        collectIds(doc.getDocumentElement(), ids, headingIds);
        Element nav = (Element) doc.getElementsByTagName("nav").item(0);
        NodeList links = nav.getElementsByTagName("a");
        assertEquals(5, links.getLength());
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < links.getLength(); i++) {
            String href = ((Element) links.item(i)).getAttribute("href");
            assertTrue(href.startsWith("#"));
            targets.add(href.substring(1));
        }
        assertEquals(headingIds, targets);
        assertEquals(List.of("setup", "hyper-parameters", "results", "results-2", "deep"), targets);
        // The nesting follows the levels: Setup holds Hyper-parameters, the second Results holds Deep.
        assertEquals(3, elementChildren(nav.getElementsByTagName("ul").item(0).getChildNodes()));
    }

    @Test
    void htmlFallsBackToThePngOnlyWhenTheSvgIsUnreadable() throws Exception {
        Path folder = tmp.resolve("broken");
        Files.createDirectories(folder);
        Path svg = Files.writeString(folder.resolve("b.svg"), "<svg><unclosed></svg>");
        Path png = Files.copy(accuracy.png(), folder.resolve("b.png"));
        SavedFigure broken = new SavedFigure("b", svg, png, "B", "broken svg");
        Path file = tmp.resolve("fallback.html");
        new ReportDocument().figure(broken).figure(delay).writeHtml(file);
        String html = Files.readString(file);

        assertEquals(1, count(html, "data:image/png;base64,"));
        assertEquals(1, count(html, "data:image/svg+xml;base64,"));
        Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(html);
        assertTrue(m.find());
        assertEquals(320, ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))).getWidth());

        SavedFigure missing = new SavedFigure("m", folder.resolve("m.svg"), folder.resolve("m.png"), "M", "");
        assertThrows(IOException.class, () -> new ReportDocument().figure(missing).writeHtml(tmp.resolve("x.html")));
    }

    @Test
    void markdownEscapesTablesAlignsNumbersAndLinksFiguresRelatively() throws Exception {
        Path file = shared.resolve("report.md"); // figures are in shared/figures
        sample().writeMarkdown(file);
        String md = Files.readString(file);

        assertTrue(md.startsWith("# Grokking \\<study\\> & notes\n"), md);
        assertTrue(md.contains("\n## Setup\n"));
        assertTrue(md.contains("\n### Hyper-parameters\n"));
        assertTrue(md.contains("| name | value | note |\n| --- | ---: | --- |\n"), md);
        assertTrue(md.contains("| lr | 1e-3 | a \\| b |\n"));
        assertTrue(md.contains("| wd | 1,000 | x \\< y & z |\n"));
        assertTrue(md.contains("| eps | \u2212 | `a\\|b` |\n"), "pipes escaped inside code spans in tables");
        for (String line : md.split("\n")) {
            if (line.startsWith("| ")) {
                assertEquals(4, line.replace("\\|", "").chars().filter(c -> c == '|').count(), line);
            }
        }

        assertTrue(md.contains("The store is `ResultsStore` and the claim is **bold**; 2 \\< 3 & 4 \\> 1."));
        assertTrue(md.contains("> **Note.** TF32 changes the numerics of `matmul`."));
        assertTrue(md.contains("\n- \\- a leading dash\n"));
        assertTrue(md.contains("\n- 1\\. not a list\n"));
        assertTrue(md.contains("![Delay against norm \\<log-log\\>.](figures/delay.png)"), md);
        assertTrue(md.contains("**Figure 1.** Delay against `norm` \\<log-log\\>. ([SVG](figures/delay.svg))"));
        assertTrue(md.contains("**Figure 2.** Test accuracy & train accuracy. ([SVG](figures/accuracy.svg))"));
        assertTrue(md.contains("```text\nnormclock run --p 97\n  <config> & more\n```\n"));
    }

    @Test
    void markdownLinksWalkUpAndEncodeSpaces() throws Exception {
        Path file = shared.resolve("sub dir/deeper/report.md");
        new ReportDocument().figure(delay).writeMarkdown(file);
        String md = Files.readString(file);
        assertTrue(md.contains("](../../figures/delay.png)"), md);

        SavedFigure spaced = new SavedFigure("a b", shared.resolve("my figs/a b.svg"), shared.resolve("my figs/a b.png"),
                "t", "c");
        new ReportDocument().figure(spaced).writeMarkdown(shared.resolve("r.md"));
        assertTrue(Files.readString(shared.resolve("r.md")).contains("](my%20figs/a%20b.png)"));
    }

    @Test
    void rewritingReplacesTheFileAndLeavesNoTemporaryFiles() throws Exception {
        Path folder = tmp.resolve("out");
        new ReportDocument().paragraph("first").writeMarkdown(folder.resolve("r.md"));
        new ReportDocument().paragraph("second").writeMarkdown(folder.resolve("r.md"));
        new ReportDocument().paragraph("second").writeHtml(folder.resolve("r.html"));
        assertEquals("second\n", Files.readString(folder.resolve("r.md")));
        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(List.of("r.html", "r.md"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // The report is as readable to others as any file created here (a temp file would be owner-only).
        if (Files.getFileStore(folder).supportsFileAttributeView("posix")) {
            Path plain = Files.createFile(folder.resolve("plain"));
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(folder.resolve("r.md")));
        }
    }

    @Test
    void inlineMarkupIsOnlyCodeAndBold() {
        assertEquals(List.of(new Inline.Text("a "), new Inline.Code("x`y"), new Inline.Text(" b")),
                Inline.parse("a `` x`y `` b"));
        assertEquals(List.of(new Inline.Text("unclosed `tick and ** stars")), Inline.parse("unclosed `tick and ** stars"));
        assertEquals(List.of(new Inline.Bold(List.of(new Inline.Text("a "), new Inline.Code("**")))),
                Inline.parse("**a `**`**"));
        assertEquals(List.of(new Inline.Text("one two")), Inline.parse("one\n  two"));
    }

    @Test
    void numericColumnsIgnoreMissingCellsButNeedOneNumber() {
        Block.Table t = new Block.Table(List.of("a", "b", "c", "d"), List.of(
                List.of("1.5 \u00b1 0.2", "", "x", "12%"),
                List.of("-3e-4", "-", "1", "2.5\u00d7"),
                List.of("NaN", "n/a", "2", "\u221e")));
        boolean[] numeric = t.numericColumns();
        assertTrue(numeric[0]);
        assertFalse(numeric[1]);
        assertFalse(numeric[2]);
        assertTrue(numeric[3]);
    }

    private static void collectIds(Element e, Set<String> ids, List<String> headingIds) {
        if (e.hasAttribute("id")) {
            assertTrue(ids.add(e.getAttribute("id")), "duplicate id " + e.getAttribute("id"));
            if (e.getTagName().matches("h[2-6]")) {
                headingIds.add(e.getAttribute("id"));
            }
        }
        NodeList children = e.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element child) {
                collectIds(child, ids, headingIds);
            }
        }
    }

    private static int elementChildren(NodeList nodes) {
        int n = 0;
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element) {
                n++;
            }
        }
        return n;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }
}
