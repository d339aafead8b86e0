package dev.normclock.report;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A figure written to disk by {@link Chart#save}: the same chart as SVG (for the HTML report and for print)
 * and as PNG (for Markdown viewers and as a fallback), with the title and caption a report shows next to it.
 */
public record SavedFigure(String baseName, Path svg, Path png, String title, String caption) {

    public SavedFigure {
        Objects.requireNonNull(baseName, "baseName");
        Objects.requireNonNull(svg, "svg");
        Objects.requireNonNull(png, "png");
        title = title == null ? "" : title;
        caption = caption == null ? "" : caption;
    }
}
