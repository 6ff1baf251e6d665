import 'dart:io';

void main() {
  var sum = 0;
  String? line;
  while ((line = stdin.readLineSync()) != null) {
    for (final w in line!.split(RegExp(r'\s+'))) {
      if (w.isNotEmpty) sum += int.parse(w);
    }
  }
  print(sum);
}
