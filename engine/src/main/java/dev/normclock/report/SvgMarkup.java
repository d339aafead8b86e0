package dev.normclock.report;

import java.io.IOException;
import java.io.StringReader;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Small, text-level edits of SVG markup. XChart's SVG declares an external DTD, which makes XML parsers
 * try to fetch it from the network, and it holds no text a reader or a search can find (labels are glyph
 * outlines); these edits fix both without touching the drawing.
 */
final class SvgMarkup {

    private SvgMarkup() {
    }

    /**
     * Drops the DOCTYPE and adds {@code <title>} and {@code <desc>} (for screen readers, tooltips and search)
     * as the first children of the root element. The XML declaration stays.
     */
    static String describe(String svg, String title, String caption) {
        String body = withoutDoctype(svg);
        int insertAt = endOfRootStartTag(body);
        if (insertAt < 0) {
            return body;
        }
        StringBuilder extra = new StringBuilder();
        if (!title.isBlank()) {
            extra.append("\n  <title>").append(escape(title)).append("</title>");
        }
        if (!caption.isBlank()) {
            extra.append("\n  <desc>").append(escape(caption)).append("</desc>");
        }
        return body.substring(0, insertAt) + extra + body.substring(insertAt);
    }

    /** The markup from the root element on: no XML declaration, DOCTYPE, or leading comments. */
    static String rootElementOnly(String svg) {
        int i = svg.startsWith("\uFEFF") ? 1 : 0; // a byte order mark
        while (true) {
            i = skipSpace(svg, i);
            if (svg.startsWith("<?", i)) {
                i = indexAfter(svg, "?>", i);
            } else if (svg.startsWith("<!--", i)) {
                i = indexAfter(svg, "-->", i);
            } else if (svg.startsWith("<!DOCTYPE", i)) {
                i = endOfDoctype(svg, i);
            } else {
                return svg.substring(i).stripTrailing();
            }
            if (i < 0) {
                return "";
            }
        }
    }

    /**
     * Parses the markup without fetching anything and tells whether its root is an {@code svg} element: the
     * test of whether a saved SVG can be put into a report.
     */
    static boolean isSvgDocument(String markup) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new DefaultHandler()); // fail on fatal errors without printing them
            Document doc = builder.parse(new InputSource(new StringReader(markup)));
            return "svg".equals(doc.getDocumentElement().getLocalName());
        } catch (ParserConfigurationException | SAXException | IOException e) {
            return false;
        }
    }

    /** XML-escaped text (the HTML escaping is valid XML and drops the control characters XML 1.0 forbids). */
    static String escape(String text) {
        return HtmlWriter.escape(text);
    }

    private static String withoutDoctype(String svg) {
        int start = svg.indexOf("<!DOCTYPE");
        int root = svg.indexOf("<svg");
        if (start < 0 || root >= 0 && start > root) {
            return svg;
        }
        int end = endOfDoctype(svg, start);
        if (end < 0) {
            return svg;
        }
        return svg.substring(0, start) + svg.substring(skipSpace(svg, end));
    }

    /** The index just past the DOCTYPE starting at {@code start}, which may hold an internal subset in []. */
    private static int endOfDoctype(String s, int start) {
        int depth = 0;
        char quote = 0;
        for (int i = start + 2; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == '>' && depth <= 0) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The index just past the {@code >} of the root {@code <svg ...>} start tag, or -1. */
    private static int endOfRootStartTag(String s) {
        int start = s.indexOf("<svg");
        if (start < 0) {
            return -1;
        }
        char quote = 0;
        for (int i = start + 4; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                return s.charAt(i - 1) == '/' ? -1 : i + 1; // an empty <svg/> has nothing to describe
            }
        }
        return -1;
    }

    private static int indexAfter(String s, String token, int from) {
        int i = s.indexOf(token, from);
        return i < 0 ? -1 : i + token.length();
    }

    private static int skipSpace(String s, int i) {
        while (i >= 0 && i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
