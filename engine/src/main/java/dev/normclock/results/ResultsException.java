package dev.normclock.results;

/**
 * A results-database failure the user can act on. The message is one line that says what is wrong
 * and what to do, so the command line can print it as is.
 */
public final class ResultsException extends RuntimeException {

    public ResultsException(String message) {
        this(message, null);
    }

    public ResultsException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message == null ? null : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
