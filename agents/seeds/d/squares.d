import std.algorithm : filter, map;
import std.array : array;

long[] evenSquares(long[] xs) {
    return xs.filter!(x => x % 2 == 0).map!(x => x * x).array;
}
