package dev.recall.examples;

import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.Generation;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.TokenListener;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/** Recall embedded in a Java program: load, stream, snapshot, sample, score, cancel, chat. */
public final class EmbeddingExample {

    public static void main(String[] args) {
        run(args.length > 0 ? args[0] : "models/zoo-mamba", System.out);
    }

    public static void run(String modelSpec, PrintStream out) {
        // A directory, or a Hugging Face id (org/name) already in the local cache.
        try (LoadedModel model = Recall.load(modelSpec)) {
            GenerateOptions greedy = GenerateOptions.greedy(16);

            // A session has its own state; each call continues it. Text streams as it is decoded.
            Session session = model.session();
            out.print("continuation:");
            session.generate("The pass key is", greedy, out::print);
            out.println();

            // Snapshots copy the state: restoring one replays the same continuation. Closing a
            // snapshot closes its copy (a transformer's attention cache goes back to the model).
            try (Session.Snapshot saved = session.snapshot()) {
                String first = session.generate(" Then", greedy, null);
                session.restore(saved);
                String again = session.generate(" Then", greedy, null);
                out.println("after snapshot:" + first);
                out.println("after restore:" + again);
            }

            // Sampling, every option by name. (model.defaultOptions(seed) samples as the model's
            // generation_config.json asks.)
            GenerateOptions sampled = greedy.withSampling(SamplingOptions.builder()
                    .temperature(0.8).topK(40).topP(0.95).seed(42).maxTokens(16).build());
            out.println("sampled:" + model.session().generate("It was", sampled, null));

            // The result of a generation: its tokens, why it stopped, and on request each token's
            // log-probability with the most likely alternatives.
            GenerationResult scored = model.session().generate(model.prompt(null, "The pass key is", null),
                    greedy.withMaxTokens(4).withLogprobs(2), TokenListener.NONE);
            out.printf("scored:%d tokens, stopped by %s, first token logprob %.4f%n", scored.ids().length,
                    scored.stopReason(), scored.logprobs().getFirst().logprob());

            // A generation on a thread of its own, stopped from outside after three tokens; the
            // session stays usable.
            Session background = model.session();
            Cancellation stop = new Cancellation();
            AtomicInteger tokens = new AtomicInteger();
            Generation running = background.start(model.prompt(null, "It was", null), greedy.withCancellation(stop),
                    TokenListener.onTokens((id, logits) -> {
                        if (tokens.incrementAndGet() == 3) {
                            stop.cancel();
                        }
                    }));
            GenerationResult stopped = running.result().join();
            out.println("cancelled:" + stopped.ids().length + " tokens, " + stopped.stopReason());

            // A chat renders the model's chat template each turn (this model has none: plain format).
            Chat chat = model.chat();
            chat.system("You answer briefly.");
            out.println("chat format:" + (chat.usesFallbackFormat() ? "plain" : "template"));
            out.println("reply:" + chat.send("What is the pass key?", greedy, null));
        }
    }
}
