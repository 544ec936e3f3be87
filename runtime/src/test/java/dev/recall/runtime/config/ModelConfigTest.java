package dev.recall.runtime.config;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {

    @Test
    void readsTypedFieldsAndIntOrListIds() {
        ModelConfig c = ModelConfig.parse("config.json", "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":64,"
                + "\"rms_norm_eps\":1e-5,\"eos_token_id\":[2,7],\"bos_token_id\":1,\"tie_word_embeddings\":false}");
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals(64, c.integer("hidden_size"));
        assertEquals(1e-5, c.number("rms_norm_eps"));
        assertEquals(List.of(2, 7), c.intList("eos_token_id"));
        assertEquals(List.of(1), c.intList("bos_token_id"));
        assertEquals(false, c.bool("tie_word_embeddings", true));
        assertEquals(5, c.integer("missing", 5));
    }

    @Test
    void namesTheFileAndFieldOnErrors() {
        ModelConfig c = ModelConfig.parse("config.json", "{\"hidden_size\":\"sixty-four\",\"eos_token_id\":\"x\"}");
        String m = assertThrows(RecallException.class, () -> c.integer("hidden_size")).getMessage();
        assertTrue(m.contains("config.json") && m.contains("'hidden_size'") && m.contains("an integer"), m);
        m = assertThrows(RecallException.class, () -> c.integer("num_hidden_layers")).getMessage();
        assertTrue(m.contains("missing the field 'num_hidden_layers'"), m);
        m = assertThrows(RecallException.class, () -> c.intList("eos_token_id")).getMessage();
        assertTrue(m.contains("a list of integers"), m);
        m = assertThrows(RecallException.class, c::architecture).getMessage();
        assertTrue(m.contains("names no architecture"), m);
        assertThrows(RecallException.class, () -> ModelConfig.parse("config.json", "{not json"));
        assertThrows(RecallException.class, () -> ModelConfig.parse("config.json", "[1]"));
    }

    @Test
    void ropeFromTransformers5Parameters() {
        RopeConfig r = RopeConfig.from(ModelConfig.parse("c", "{\"max_position_embeddings\":256,"
                + "\"rope_parameters\":{\"rope_theta\":500000.0,\"rope_type\":\"default\",\"partial_rotary_factor\":0.5}}"));
        assertEquals(500000.0, r.theta());
        assertEquals("default", r.type());
        assertEquals(0.5, r.partialRotaryFactor());
    }

    @Test
    void ropeFromLegacyThetaAndScaling() {
        RopeConfig r = RopeConfig.from(ModelConfig.parse("c", "{\"max_position_embeddings\":131072,\"rope_theta\":500000.0,"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                + "\"original_max_position_embeddings\":8192}}"));
        assertEquals(500000.0, r.theta());
        assertEquals("llama3", r.type());
        assertEquals(8.0, r.factor());
        assertEquals(8192, r.originalMaxPositions());
        String m = assertThrows(RecallException.class, () -> RopeConfig.from(ModelConfig.parse("c",
                "{\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4}}"))).getMessage();
        assertTrue(m.contains("'yarn' is not supported"), m);
    }
}
