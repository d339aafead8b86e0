package dev.normclock.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Gives each series name the same colour and marker in every figure, so a reader can follow one
 * configuration from figure to figure. The preferred slot comes from a stable hash of the name; when two
 * names of one figure want the same slot, the later one takes the next free slot, so series of a figure
 * never share a colour while the palette lasts. Colours are matplotlib's "tab10", familiar from papers.
 */
final class SeriesPalette {

    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private static final Marker[] MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
        SeriesMarkers.TRIANGLE_DOWN,
    };

    /** The colour and marker of one series. */
    record Style(Color color, Marker marker) {
    }

    private SeriesPalette() {
    }

    /** The preferred slot of a name: the same in every figure and every run. */
    static int preferredSlot(String name) {
        int h = name.hashCode();
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        return Math.floorMod(h, COLORS.length);
    }

    /** Styles for the given names, in their order; names beyond the palette's size reuse slots. */
    static Map<String, Style> assign(List<String> names) {
        Map<String, Style> styles = new LinkedHashMap<>();
        List<Integer> used = new ArrayList<>();
        for (String name : names) {
            if (styles.containsKey(name)) {
                continue;
            }
            int slot = preferredSlot(name);
            for (int probe = 0; probe < COLORS.length && used.contains(slot); probe++) {
                slot = (slot + 1) % COLORS.length;
            }
            used.add(slot);
            styles.put(name, new Style(COLORS[slot], MARKERS[slot % MARKERS.length]));
        }
        return styles;
    }
}
