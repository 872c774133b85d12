# Trims a string and collapses every run of whitespace inside it into one space.
sub squeeze_spaces {
    my ($s) = @_;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\s+/ /g;
    return $s;
}
