package dev.recall.models;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing a model twice does nothing; using it, or a session of it, afterwards is one clear error. */
class LoadedModelCloseTest {

    @ParameterizedTest
    @ValueSource(strings = {"golden/mamba", "golden/llama"})
    void closeIsIdempotentAndUseAfterCloseIsRefused(String resource) {
        LoadedModel model = Recall.load(SharedData.resource(resource));
        Session session = model.session();
        session.generate(Prompt.plain(new int[] {1, 2, 3}), GenerateOptions.greedy(2), TokenListener.NONE);
        model.close();
        model.close();
        RecallException e = assertThrows(RecallException.class,
                () -> session.generate(Prompt.plain(new int[] {4}), GenerateOptions.greedy(2), TokenListener.NONE));
        assertTrue(e.getMessage().endsWith("is closed"), e.getMessage());
        assertThrows(RecallException.class, model::session);
        assertThrows(RecallException.class, model::warmUp);
    }
}
