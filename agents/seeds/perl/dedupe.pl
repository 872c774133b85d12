# The elements of a list with later repeats removed, first occurrences kept in order.
sub dedupe {
    my ($xs) = @_;
    my %seen;
    return [grep { !$seen{$_}++ } @$xs];
}
