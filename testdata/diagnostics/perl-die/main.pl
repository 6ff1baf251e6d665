use strict;
use warnings;

sub ratio {
    my ($a, $b) = @_;
    return $a / $b;
}

print ratio(1, 0), "\n";
