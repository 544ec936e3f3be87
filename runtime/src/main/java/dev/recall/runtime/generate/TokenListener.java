package dev.recall.runtime.generate;

/** Receives generated text as soon as it is final (for streaming to a terminal or a client). */
@FunctionalInterface
public interface TokenListener {

    /**
     * Text that can no longer change: complete characters only, and never text that might still turn
     * out to be the start of a stop string. Never empty. The pieces concatenate to the result's text.
     */
    void onText(String piece);

    /**
     * Each generated id, with the logits it was chosen from. The array belongs to the caller of the
     * loop's model; copy it to keep it.
     */
    default void onToken(int id, float[] logits) {
    }

    /** Ignores everything. */
    TokenListener NONE = piece -> {
    };

    /** What {@link #onToken} receives, for {@link #onTokens}. */
    @FunctionalInterface
    interface TokenConsumer {
        void accept(int id, float[] logits);
    }

    /** A listener that hears each token (and ignores the text). */
    static TokenListener onTokens(TokenConsumer consumer) {
        return new TokenListener() {
            @Override
            public void onText(String piece) {
            }

            @Override
            public void onToken(int id, float[] logits) {
                consumer.accept(id, logits);
            }
        };
    }
}
