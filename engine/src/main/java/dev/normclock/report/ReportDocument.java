package dev.normclock.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A report written once and rendered two ways: GitHub-flavoured Markdown, to read in the repository next
 * to PNG figures, and one self-contained HTML file that opens offline anywhere with the figures inside it.
 *
 * <p>Text is plain: only {@code `code`} spans and {@code **bold**} are markup, in paragraphs, bullets, table
 * cells, notes, headings and captions; every other character shows as written in both renderings. Both
 * files are written atomically, so a reader never sees half a report.
 */
public final class ReportDocument {

    private String title = "";
    private final List<Block> blocks = new ArrayList<>();

    /** The document's title, shown above everything else; setting it again replaces it. */
    public ReportDocument title(String title) {
        this.title = Objects.requireNonNull(title, "title").strip();
        return this;
    }

    /** A section heading; level 1 is a top-level section, down to level 5. */
    public ReportDocument heading(int level, String text) {
        if (level < 1 || level > 5) {
            throw new IllegalArgumentException("heading level must be 1 to 5, not " + level);
        }
        return add(new Block.Heading(level, Objects.requireNonNull(text, "text")));
    }

    public ReportDocument paragraph(String text) {
        return add(new Block.Paragraph(Objects.requireNonNull(text, "text")));
    }

    public ReportDocument bullets(List<String> items) {
        List<String> copy = List.copyOf(items);
        return copy.isEmpty() ? this : add(new Block.Bullets(copy));
    }

    /**
     * A table; columns whose body cells are all numbers (blank, "-" or "n/a" aside) are right-aligned. A row
     * shorter than the header is padded with empty cells; a longer one is an error.
     */
    public ReportDocument table(List<String> header, List<List<String>> rows) {
        List<String> head = List.copyOf(header);
        if (head.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        List<List<String>> body = new ArrayList<>();
        for (List<String> row : rows) {
            if (row.size() > head.size()) {
                throw new IllegalArgumentException("table row has " + row.size() + " cells, header " + head.size());
            }
            List<String> padded = new ArrayList<>(row);
            for (String cell : padded) {
                Objects.requireNonNull(cell, "table cell");
            }
            padded.addAll(Collections.nCopies(head.size() - row.size(), ""));
            body.add(List.copyOf(padded));
        }
        return add(new Block.Table(head, List.copyOf(body)));
    }

    public ReportDocument figure(SavedFigure figure) {
        return add(new Block.Figure(Objects.requireNonNull(figure, "figure")));
    }

    /** Text shown exactly as given, in a monospaced block: logs, configurations, command lines. */
    public ReportDocument preformatted(String text) {
        return add(new Block.Preformatted(Objects.requireNonNull(text, "text").stripTrailing()));
    }

    /** A highlighted remark, such as a warning that TF32 changes numerics. */
    public ReportDocument note(String text) {
        return add(new Block.Note(Objects.requireNonNull(text, "text")));
    }

    /** GitHub-flavoured Markdown; figures link to their PNG and SVG by paths relative to the file's folder. */
    public void writeMarkdown(Path file) throws IOException {
        Path folder = file.toAbsolutePath().normalize().getParent();
        AtomicFiles.writeString(file, new MarkdownWriter(folder).render(title, blocks));
    }

    /**
     * One HTML5 file with everything inside: styles, a table of contents, and the figures as embedded SVG
     * (PNG when the SVG cannot be read). It references nothing outside itself. Fails if a figure has neither.
     */
    public void writeHtml(Path file) throws IOException {
        AtomicFiles.writeString(file, new HtmlWriter().render(title, blocks));
    }

    private ReportDocument add(Block block) {
        blocks.add(block);
        return this;
    }
}
