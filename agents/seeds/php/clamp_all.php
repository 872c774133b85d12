<?php
// Clamps every number of a list into the range [lo, hi].
function clamp_all(array $xs, int $lo, int $hi): array {
    return array_map(fn($x) => max($lo, min($hi, $x)), $xs);
}
