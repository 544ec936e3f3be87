package dev.recall.runtime.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A tokenizer.json pre-tokenizer: cuts a normalized segment into the words BPE sees. */
interface PreTokenizer {

    /**
     * Appends the words of s to out. atStart tells whether s begins at the very start of the
     * input text (Metaspace's "first" prepend scheme depends on it).
     */
    void preTokenize(String s, boolean atStart, List<String> out);

    /** GPT-2's word regex, which the ByteLevel pre-tokenizer uses when use_regex is set. */
    Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Applies each pre-tokenizer to every piece the previous ones produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            List<String> pieces = List.of(s);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                for (int i = 0; i < pieces.size(); i++) {
                    step.preTokenize(pieces.get(i), atStart && i == 0, next);
                }
                pieces = next;
            }
            out.addAll(pieces);
        }
    }

    /**
     * Optionally splits with the GPT-2 regex, then writes each piece's UTF-8 bytes as
     * {@link ByteLevelAlphabet} characters.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            if (addPrefixSpace && !s.startsWith(" ")) {
                s = " " + s;
            }
            List<String> pieces = new ArrayList<>();
            if (useRegex) {
                SplitBehavior.ISOLATED.split(s, GPT2_PATTERN, false, pieces);
            } else if (!s.isEmpty()) {
                pieces.add(s);
            }
            for (String piece : pieces) {
                out.add(ByteLevelAlphabet.encode(piece));
            }
        }
    }

    /** Splits on a literal or regex pattern with the given delimiter behavior. */
    record Split(Pattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            behavior.split(s, pattern, invert, out);
        }
    }

    /**
     * SentencePiece's whitespace handling: spaces become the replacement character, which is
     * prepended by the scheme and optionally starts each word.
     */
    record Metaspace(String replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {
        enum PrependScheme { ALWAYS, FIRST, NEVER }

        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            s = s.replace(" ", replacement);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> atStart;
                case NEVER -> false;
            };
            if (prepend && !s.startsWith(replacement)) {
                s = replacement + s;
            }
            if (split) {
                SplitBehavior.MERGED_WITH_NEXT.split(s, Pattern.compile(Pattern.quote(replacement)), false, out);
            } else if (!s.isEmpty()) {
                out.add(s);
            }
        }
    }

    /** Words of word characters and runs of punctuation; whitespace is dropped. */
    record WhitespaceWords() implements PreTokenizer {
        private static final Pattern WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            SplitBehavior.REMOVED.split(s, WORDS, true, out);
        }
    }

    /** Splits on whitespace, dropping it. */
    record WhitespaceSplit() implements PreTokenizer {
        private static final Pattern SPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            SplitBehavior.REMOVED.split(s, SPACE, false, out);
        }
    }

    /** Separates numeric characters, each on its own or as contiguous runs. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        private static final Pattern DIGIT = Pattern.compile("\\p{N}");
        private static final Pattern DIGITS = Pattern.compile("\\p{N}+");

        @Override
        public void preTokenize(String s, boolean atStart, List<String> out) {
            SplitBehavior.ISOLATED.split(s, individualDigits ? DIGIT : DIGITS, false, out);
        }
    }
}
