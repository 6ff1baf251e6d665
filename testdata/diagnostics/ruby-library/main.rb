require "json"

def load(text)
  JSON.parse(text)
end

p load("{not json")
