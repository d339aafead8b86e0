package dev.normclock.report;

/**
 * Figures are drawn on servers and in CI without a display: AWT must be told so before it first starts,
 * or it may try to reach an X server. A property set explicitly by the user is left alone.
 */
final class Headless {

    private Headless() {
    }

    static void ensure() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }
}
