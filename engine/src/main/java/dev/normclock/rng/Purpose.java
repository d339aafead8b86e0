package dev.normclock.rng;

/** What a random stream is used for; part of its key so that streams never overlap. */
public enum Purpose {
    SPLIT(1), INIT(2);

    final int code;

    Purpose(int code) {
        this.code = code;
    }
}
