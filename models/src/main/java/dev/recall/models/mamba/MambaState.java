package dev.recall.models.mamba;

import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.StateIn;
import dev.recall.runtime.model.StateOut;
import dev.recall.runtime.model.StateArrays;

/**
 * What a Mamba model remembers: per layer the last K − 1 conv inputs and the SSM state, both fp32.
 * Its size does not depend on how many tokens were consumed.
 */
public final class MambaState extends AbstractModelState {

    /** Per layer [K − 1, E], token-major: row K − 2 is the most recent token's conv input. */
    final float[][] conv;
    /** Per layer [E, N]. */
    final float[][] ssm;
    private int position;

    MambaState(MambaDimensions dims) {
        this.conv = new float[dims.layers()][(dims.convWidth() - 1) * dims.inner()];
        this.ssm = new float[dims.layers()][dims.inner() * dims.states()];
    }

    private MambaState(float[][] conv, float[][] ssm, int position) {
        this.conv = conv;
        this.ssm = ssm;
        this.position = position;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    protected void advance(int tokens) {
        position += tokens;
    }

    @Override
    public void write(StateOut out) {
        requireOpen();
        out.writeInt(position);
        for (int l = 0; l < conv.length; l++) {
            out.writeFloats(conv[l]);
            out.writeFloats(ssm[l]);
        }
    }

    /** Fills this fresh state from what {@link #write} wrote. */
    void read(StateIn in) {
        position = in.readCount("the position", Integer.MAX_VALUE);
        for (int l = 0; l < conv.length; l++) {
            in.readFloatsInto(conv[l], "layer " + l + "'s conv inputs");
            in.readFloatsInto(ssm[l], "layer " + l + "'s SSM state");
        }
    }

    @Override
    public MambaState copy() {
        requireOpen();
        return new MambaState(StateArrays.copy(conv), StateArrays.copy(ssm), position);
    }

    @Override
    public long sizeBytes() {
        return StateArrays.bytes(conv, ssm);
    }
}
