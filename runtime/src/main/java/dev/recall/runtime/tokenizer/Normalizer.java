package dev.recall.runtime.tokenizer;

import java.text.Normalizer.Form;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json normalizer: rewrites a text segment before pre-tokenization. */
interface Normalizer {

    String normalize(String s);

    /** Applies each normalizer in order. */
    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String normalize(String s) {
            for (Normalizer n : normalizers) {
                s = n.normalize(s);
            }
            return s;
        }
    }

    /** Prefixes non-empty text (SentencePiece's leading "▁"). */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.isEmpty() ? s : prefix + s;
        }
    }

    /** Replaces every non-overlapping match of a literal or regex pattern. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public String normalize(String s) {
            return pattern.matcher(s).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** Unicode normalization form (NFC, NFD, NFKC, NFKD). */
    record Unicode(Form form) implements Normalizer {
        @Override
        public String normalize(String s) {
            return java.text.Normalizer.normalize(s, form);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.toLowerCase(Locale.ROOT);
        }
    }

    /** Removes leading and/or trailing Unicode whitespace. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String s) {
            int from = 0;
            int to = s.length();
            if (left) {
                while (from < to && Whitespace.is(s.codePointAt(from))) {
                    from += Character.charCount(s.codePointAt(from));
                }
            }
            if (right) {
                while (to > from && Whitespace.is(s.codePointBefore(to))) {
                    to -= Character.charCount(s.codePointBefore(to));
                }
            }
            return s.substring(from, to);
        }
    }
}
