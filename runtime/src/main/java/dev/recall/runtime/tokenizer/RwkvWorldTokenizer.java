package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * RWKV "world" tokenizer: a byte vocabulary ({@code rwkv_vocab_v20230424.txt}, lines
 * {@code <id> <python literal> <byte length>}) applied to the UTF-8 bytes of the text by greedy
 * longest match, like the reference {@code TRIE_TOKENIZER}. Id 0 is {@code <|endoftext|>}, which
 * the vocabulary file does not list; its literal text in the input encodes to 0.
 */
final class RwkvWorldTokenizer implements Tokenizer {

    static final int END_OF_TEXT_ID = 0;
    static final String END_OF_TEXT = "<|endoftext|>";

    private final byte[][] tokens;
    private final Map<String, Integer> textToId = new HashMap<>();
    private final ByteTrie trie = new ByteTrie();

    private RwkvWorldTokenizer(byte[][] tokens) {
        this.tokens = tokens;
        for (int id = 1; id < tokens.length; id++) {
            if (tokens[id] != null) {
                trie.put(tokens[id], id);
                if (Utf8.isValid(tokens[id], 0, tokens[id].length)) {
                    textToId.putIfAbsent(new String(tokens[id], StandardCharsets.UTF_8), id);
                }
            }
        }
        textToId.put(END_OF_TEXT, END_OF_TEXT_ID);
    }

    static RwkvWorldTokenizer load(Path file) {
        return new RwkvWorldTokenizer(readVocabulary(file));
    }

    /** A tokenizer over these token byte strings (index = id; index 0 and null entries are not matched). */
    static RwkvWorldTokenizer of(byte[][] tokens) {
        return new RwkvWorldTokenizer(tokens);
    }

    /** The byte string of each id of a vocabulary file (index 0, {@code <|endoftext|>}, is null). */
    static byte[][] readVocabulary(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecallException("Cannot read RWKV vocabulary " + file + ": " + e.getMessage(), e);
        }
        Map<Integer, byte[]> entries = new HashMap<>();
        int maxId = END_OF_TEXT_ID;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            int first = line.indexOf(' ');
            int last = line.lastIndexOf(' ');
            if (first <= 0 || last <= first) {
                throw malformed(file, n, "expected '<id> <literal> <length>'");
            }
            int id;
            int length;
            byte[] bytes;
            try {
                id = Integer.parseInt(line.substring(0, first));
                length = Integer.parseInt(line.substring(last + 1).strip());
                bytes = PythonLiteral.parse(line.substring(first + 1, last));
            } catch (IllegalArgumentException e) {
                throw malformed(file, n, e.getMessage());
            }
            if (id <= END_OF_TEXT_ID) {
                throw malformed(file, n, "id " + id + " is reserved or negative");
            }
            if (bytes.length != length || length == 0) {
                throw malformed(file, n, "the literal has " + bytes.length + " bytes but the line says " + length);
            }
            if (entries.put(id, bytes) != null) {
                throw malformed(file, n, "id " + id + " appears twice");
            }
            maxId = Math.max(maxId, id);
        }
        byte[][] tokens = new byte[maxId + 1][];
        entries.forEach((id, bytes) -> tokens[id] = bytes);
        return tokens;
    }

    private static RecallException malformed(Path file, int lineIndex, String why) {
        return new RecallException("Malformed RWKV vocabulary " + file + " at line " + (lineIndex + 1) + ": " + why + ".");
    }

    @Override
    public int[] encode(String text) {
        IntList ids = new IntList(Math.max(16, text.length() / 3));
        int from = 0;
        while (true) {
            int at = text.indexOf(END_OF_TEXT, from);
            encodeBytes(text.substring(from, at < 0 ? text.length() : at).getBytes(StandardCharsets.UTF_8), ids);
            if (at < 0) {
                break;
            }
            ids.add(END_OF_TEXT_ID);
            from = at + END_OF_TEXT.length();
        }
        return ids.toArray();
    }

    private void encodeBytes(byte[] bytes, IntList ids) {
        int i = 0;
        while (i < bytes.length) {
            long match = trie.longestMatch(bytes, i);
            if (match < 0) {
                throw new RecallException(String.format(
                        "The RWKV vocabulary has no token for byte 0x%02X, so this text cannot be encoded.", bytes[i] & 0xFF));
            }
            ids.add((int) (match >>> 32));
            i += (int) match;
        }
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        // The world tokenizer adds no BOS/EOS.
        return encode(text);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            appendBytes(id, skipSpecial, out);
        }
        return Utf8.decodeLossy(out.toByteArray());
    }

    private void appendBytes(int id, boolean skipSpecial, ByteArrayOutputStream out) {
        if (id == END_OF_TEXT_ID) {
            if (!skipSpecial) {
                out.writeBytes(END_OF_TEXT.getBytes(StandardCharsets.UTF_8));
            }
        } else if (id > 0 && id < tokens.length && tokens[id] != null) {
            out.writeBytes(tokens[id]);
        }
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new StreamDecoder() {
            private byte[] pending = new byte[0];

            @Override
            public String push(int id) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(pending);
                appendBytes(id, false, out);
                byte[] all = out.toByteArray();
                int complete = all.length - Utf8.incompleteTailLength(all, 0, all.length);
                pending = Arrays.copyOfRange(all, complete, all.length);
                return Utf8.decodeLossy(all, 0, complete);
            }

            @Override
            public String flush() {
                String rest = Utf8.decodeLossy(pending);
                pending = new byte[0];
                return rest;
            }
        };
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        Integer id = textToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String idToToken(int id) {
        if (id == END_OF_TEXT_ID) {
            return END_OF_TEXT;
        }
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            return null;
        }
        return Utf8.decodeLossy(tokens[id]);
    }

    /** A byte trie in one open-addressing table keyed by (node, byte). */
    private static final class ByteTrie {
        private long[] keys = new long[1 << 16];
        private int[] children = new int[1 << 16];
        private int[] tokenOfNode = new int[1 << 14];
        private int nodes = 1;
        private int size;

        ByteTrie() {
            Arrays.fill(keys, -1L);
            Arrays.fill(tokenOfNode, -1);
        }

        void put(byte[] bytes, int id) {
            int node = 0;
            for (byte b : bytes) {
                int child = child(node, b & 0xFF);
                if (child < 0) {
                    child = nodes++;
                    if (child == tokenOfNode.length) {
                        int old = tokenOfNode.length;
                        tokenOfNode = Arrays.copyOf(tokenOfNode, old * 2);
                        Arrays.fill(tokenOfNode, old, old * 2, -1);
                    }
                    insert(((long) node << 8) | (b & 0xFF), child);
                }
                node = child;
            }
            tokenOfNode[node] = id;
        }

        /** (id << 32 | length) of the longest token at bytes[from], or -1. */
        long longestMatch(byte[] bytes, int from) {
            int node = 0;
            long best = -1;
            for (int i = from; i < bytes.length; i++) {
                node = child(node, bytes[i] & 0xFF);
                if (node < 0) {
                    break;
                }
                if (tokenOfNode[node] >= 0) {
                    best = ((long) tokenOfNode[node] << 32) | (i + 1 - from);
                }
            }
            return best;
        }

        private int slot(long key, long[] table) {
            long h = key * 0x9E3779B97F4A7C15L;
            int mask = table.length - 1;
            int i = (int) (h ^ (h >>> 31)) & mask;
            while (table[i] != -1L && table[i] != key) {
                i = (i + 1) & mask;
            }
            return i;
        }

        private int child(int node, int b) {
            long key = ((long) node << 8) | b;
            int i = slot(key, keys);
            return keys[i] == key ? children[i] : -1;
        }

        private void insert(long key, int child) {
            if ((size + 1) * 2 > keys.length) {
                long[] oldKeys = keys;
                int[] oldChildren = children;
                keys = new long[oldKeys.length * 2];
                children = new int[oldKeys.length * 2];
                Arrays.fill(keys, -1L);
                for (int i = 0; i < oldKeys.length; i++) {
                    if (oldKeys[i] != -1L) {
                        int j = slot(oldKeys[i], keys);
                        keys[j] = oldKeys[i];
                        children[j] = oldChildren[i];
                    }
                }
            }
            int i = slot(key, keys);
            keys[i] = key;
            children[i] = child;
            size++;
        }
    }
}
