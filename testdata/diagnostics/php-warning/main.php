<?php
$values = [1, 2];
echo $values[5], "\n";
echo "done\n";
