<?php
function ratio($a, $b) {
    return intdiv($a, $b);
}

echo ratio(1, 0), "\n";
