function parse(text) {
  return JSON.parse(text);
}

console.log(parse("{not json"));
