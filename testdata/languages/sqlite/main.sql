-- stdin arrives through cat as one row of one column (ascii mode: no separators in ordinary text)
CREATE TABLE input(text TEXT);
.import --ascii '|cat' input
WITH RECURSIVE words(word, rest) AS (
  SELECT '', replace(replace(replace(text, char(13), ' '), char(10), ' '), char(9), ' ') || ' '
  FROM input
  UNION ALL
  SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
  FROM words
  WHERE rest <> ''
)
SELECT coalesce(sum(CAST(word AS INTEGER)), 0) FROM words WHERE word <> '';
