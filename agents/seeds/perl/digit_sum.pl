# The sum of the decimal digits of a non-negative integer.
sub digit_sum {
    my ($n) = @_;
    my $s = 0;
    $s += $_ for split //, $n;
    return $s;
}
