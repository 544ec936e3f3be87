package dev.recall.runtime.generate;

import java.util.List;

/**
 * The generated text as it grows, released to the listener only once it is final: text that could
 * still be the beginning of a stop string is held back until the next piece decides it, and a
 * completed stop string cuts the text and ends generation. Everything released concatenates to
 * {@link #text()}.
 */
final class StreamedText {

    private final List<String> stopStrings;
    private final int longestStop;
    private final TokenListener listener;
    private final StringBuilder text = new StringBuilder();
    private int released;

    StreamedText(List<String> stopStrings, TokenListener listener) {
        this.stopStrings = stopStrings;
        this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
        this.listener = listener;
    }

    /**
     * Appends decoded text and releases what became final.
     *
     * @return true when a stop string completed (the text now ends just before it, all released)
     */
    boolean append(String piece) {
        if (piece.isEmpty()) {
            return false;
        }
        // A match completed by this piece starts at most longestStop − 1 characters before it.
        int searchFrom = Math.max(0, text.length() - longestStop + 1);
        text.append(piece);
        int cut = -1;
        for (String stop : stopStrings) {
            int at = text.indexOf(stop, searchFrom);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text.setLength(cut);
            releaseUpTo(cut);
            return true;
        }
        releaseUpTo(text.length() - possibleStopStart());
        return false;
    }

    /** Releases everything still held back (generation ended without a stop string). */
    void finish() {
        releaseUpTo(text.length());
    }

    String text() {
        return text.toString();
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
    private int possibleStopStart() {
        for (int k = Math.min(longestStop - 1, text.length()); k > 0; k--) {
            int start = text.length() - k;
            for (String stop : stopStrings) {
                if (stop.length() > k && CharSequence.compare(text.subSequence(start, text.length()), stop.substring(0, k)) == 0) {
                    return k;
                }
            }
        }
        return 0;
    }

    private void releaseUpTo(int end) {
        if (end > released) {
            listener.onText(text.substring(released, end));
            released = end;
        }
    }
}
