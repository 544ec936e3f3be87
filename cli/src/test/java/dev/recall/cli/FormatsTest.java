package dev.recall.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FormatsTest {

    @Test
    void bytesAreExactWithAReadableUnit() {
        assertEquals("512 bytes", Formats.bytes(512));
        assertEquals("155,648 bytes (152.0 KiB)", Formats.bytes(155_648));
        assertEquals("5,601,792 bytes (5.3 MiB)", Formats.bytes(5_601_792));
    }

    @Test
    void diagnosticsListsArraysAndCollectionsWithShortFractions() {
        assertEquals("[0.0017, 0.0019]", Formats.value(List.of(0.0017185488765668476, 0.0019259681700700081)));
        assertEquals("[true, false]", Formats.value(new boolean[]{true, false}));
        assertEquals("[1, 2]", Formats.value(new int[]{1, 2}));
        assertEquals("[[1], [2, 3]]", Formats.value(new int[][]{{1}, {2, 3}}));
        assertEquals("224", Formats.value(224));
        assertEquals("oprm", Formats.value("oprm"));
        assertEquals("0.5000", Formats.value(0.5f));
    }
}
