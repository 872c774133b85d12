import std.array : split;
import std.uni : toLower;

bool[string] wordSet(string s) {
    bool[string] seen;
    foreach (w; s.toLower.split) seen[w] = true;
    return seen;
}
