main :: IO ()
main = do
  let y = x + 1
  print (y :: Int)
