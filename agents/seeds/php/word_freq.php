<?php
// Counts how often each lower-cased word occurs in a text.
function word_freq(string $text): array {
    $counts = [];
    foreach (preg_split('/\W+/', strtolower($text), -1, PREG_SPLIT_NO_EMPTY) as $word) {
        $counts[$word] = ($counts[$word] ?? 0) + 1;
    }
    return $counts;
}
