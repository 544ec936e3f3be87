package dev.recall.runtime.tokenizer;

import java.util.List;

/** A tokenizer.json post-processor: adds special tokens (such as BOS) around an encoding. */
interface PostProcessor {

    int[] process(int[] ids, boolean addSpecialTokens);

    /** A template of special-token pieces and the sequence ("$A"), for single sequences. */
    record Template(List<Piece> single) implements PostProcessor {
        /** Either fixed ids (a special token) or, when ids is null, the encoded sequence. */
        record Piece(int[] ids) {
        }

        @Override
        public int[] process(int[] ids, boolean addSpecialTokens) {
            if (!addSpecialTokens) {
                return ids;
            }
            IntList out = new IntList(ids.length + 4);
            for (Piece p : single) {
                out.addAll(p.ids() == null ? ids : p.ids());
            }
            return out.toArray();
        }
    }

    /** Processors that leave ids alone (ByteLevel only adjusts offsets). */
    record Identity() implements PostProcessor {
        @Override
        public int[] process(int[] ids, boolean addSpecialTokens) {
            return ids;
        }
    }

    /** BERT/RoBERTa style: cls, sequence, sep. */
    record Wrap(int cls, int sep) implements PostProcessor {
        @Override
        public int[] process(int[] ids, boolean addSpecialTokens) {
            if (!addSpecialTokens) {
                return ids;
            }
            int[] out = new int[ids.length + 2];
            out[0] = cls;
            System.arraycopy(ids, 0, out, 1, ids.length);
            out[out.length - 1] = sep;
            return out;
        }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override
        public int[] process(int[] ids, boolean addSpecialTokens) {
            for (PostProcessor p : steps) {
                ids = p.process(ids, addSpecialTokens);
            }
            return ids;
        }
    }
}
