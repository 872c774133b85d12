using System.Linq;

static class Palindrome {
    static bool IsPalindrome(string s) {
        var letters = s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray();
        return letters.SequenceEqual(letters.Reverse());
    }
}
