package dev.recall.runtime.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokens declared in tokenizer.json's {@code added_tokens}: matched verbatim in the text before
 * the model sees it (leftmost-longest, like the reference's Aho-Corasick), either on the raw text
 * or, for {@code normalized} tokens, on the normalized text.
 */
final class AddedVocabulary {

    /** One added token with its matching options. */
    record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip,
                      boolean rstrip, boolean normalized) {
    }

    /** A piece of text: either an added token (id >= 0) or text still to tokenize (id == -1). */
    record Segment(String text, int id) {
        boolean isToken() {
            return id >= 0;
        }
    }

    private final Map<Integer, AddedToken> byId = new HashMap<>();
    private final Map<String, AddedToken> byContent = new HashMap<>();
    private final Trie rawTrie = new Trie();
    private final Trie normalizedTrie = new Trie();
    /** The same without the special tokens: for text whose special-token text is not to be parsed. */
    private final Trie rawOrdinaryTrie = new Trie();
    private final Trie normalizedOrdinaryTrie = new Trie();

    AddedVocabulary(List<AddedToken> tokens, Normalizer normalizer) {
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) {
                continue;
            }
            byId.put(t.id(), t);
            byContent.put(t.content(), t);
            if (t.normalized()) {
                String content = normalizer == null ? t.content() : normalizer.normalize(t.content());
                normalizedTrie.put(content, t);
                if (!t.special()) {
                    normalizedOrdinaryTrie.put(content, t);
                }
            } else {
                rawTrie.put(t.content(), t);
                if (!t.special()) {
                    rawOrdinaryTrie.put(t.content(), t);
                }
            }
        }
    }

    AddedToken byId(int id) {
        return byId.get(id);
    }

    AddedToken byContent(String content) {
        return byContent.get(content);
    }

    boolean isSpecial(int id) {
        AddedToken t = byId.get(id);
        return t != null && t.special();
    }

    int maxId() {
        int max = -1;
        for (int id : byId.keySet()) {
            max = Math.max(max, id);
        }
        return max;
    }

    /** Splits raw text on the non-normalized added tokens (the special ones only when parseSpecial). */
    void splitRaw(String text, List<Segment> out, boolean parseSpecial) {
        split(text, parseSpecial ? rawTrie : rawOrdinaryTrie, out);
    }

    /** Splits normalized text on the normalized added tokens (the special ones only when parseSpecial). */
    void splitNormalized(String text, List<Segment> out, boolean parseSpecial) {
        split(text, parseSpecial ? normalizedTrie : normalizedOrdinaryTrie, out);
    }

    private static void split(String s, Trie trie, List<Segment> out) {
        if (trie.isEmpty()) {
            if (!s.isEmpty()) {
                out.add(new Segment(s, -1));
            }
            return;
        }
        int emitted = 0;
        int pos = 0;
        int[] match = new int[1];
        while (pos < s.length()) {
            AddedToken t = trie.longestAt(s, pos, match);
            if (t == null) {
                pos++;
                continue;
            }
            int start = pos;
            int stop = pos + match[0];
            pos = stop;
            if (t.singleWord() && !(isWordBoundary(s, start) && isWordBoundaryAfter(s, stop))) {
                continue;
            }
            if (t.lstrip()) {
                while (start > emitted && Whitespace.is(s.codePointBefore(start))) {
                    start -= Character.charCount(s.codePointBefore(start));
                }
            }
            if (t.rstrip()) {
                while (stop < s.length() && Whitespace.is(s.codePointAt(stop))) {
                    stop += Character.charCount(s.codePointAt(stop));
                }
                pos = stop;
            }
            if (emitted < start) {
                out.add(new Segment(s.substring(emitted, start), -1));
            }
            out.add(new Segment(s.substring(start, stop), t.id()));
            emitted = stop;
        }
        if (emitted < s.length()) {
            out.add(new Segment(s.substring(emitted), -1));
        }
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }

    private static boolean isWordBoundary(String s, int start) {
        return start == 0 || !isWordChar(s.codePointBefore(start));
    }

    private static boolean isWordBoundaryAfter(String s, int stop) {
        return stop == s.length() || !isWordChar(s.codePointAt(stop));
    }

    /** A character trie over token contents, for leftmost-longest matching. */
    private static final class Trie {
        private final Node root = new Node();
        private boolean empty = true;

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>(4);
            AddedToken token;
        }

        boolean isEmpty() {
            return empty;
        }

        void put(String content, AddedToken token) {
            Node n = root;
            for (int i = 0; i < content.length(); i++) {
                n = n.children.computeIfAbsent(content.charAt(i), c -> new Node());
            }
            n.token = token;
            empty = false;
        }

        /** The longest token starting at pos (its length in length[0]), or null. */
        AddedToken longestAt(String s, int pos, int[] length) {
            Node n = root;
            AddedToken best = null;
            for (int i = pos; i < s.length(); i++) {
                n = n.children.get(s.charAt(i));
                if (n == null) {
                    break;
                }
                if (n.token != null) {
                    best = n.token;
                    length[0] = i + 1 - pos;
                }
            }
            return best;
        }
    }
}
