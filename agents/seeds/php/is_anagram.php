<?php
// Whether two words are anagrams of each other, ignoring case and spaces.
function is_anagram(string $a, string $b): bool {
    $norm = function (string $s): array {
        $chars = str_split(strtolower(str_replace(" ", "", $s)));
        sort($chars);
        return $chars;
    };
    return $norm($a) === $norm($b);
}
