package dev.recall.examples;

import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.SamplingOptions;

import java.io.PrintStream;

/** Recall embedded in a Java program: load, stream, snapshot, sample, chat. */
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

            // Sampling: temperature 0.8, top-k 40, top-p 0.95, seed 42, no repetition penalty, 16 tokens.
            // (model.defaultOptions(seed) samples as the model's generation_config.json asks.)
            GenerateOptions sampled = greedy.withSampling(new SamplingOptions(0.8, 40, 0.95, 42, 1.0, 16));
            out.println("sampled:" + model.session().generate("It was", sampled, null));

            // A chat renders the model's chat template each turn (this model has none: plain format).
            Chat chat = model.chat();
            chat.system("You answer briefly.");
            out.println("chat format:" + (chat.usesFallbackFormat() ? "plain" : "template"));
            out.println("reply:" + chat.send("What is the pass key?", greedy, null));
        }
    }
}
