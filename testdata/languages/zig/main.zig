const std = @import("std");

pub fn main() !void {
    const input = try std.io.getStdIn().reader().readAllAlloc(std.heap.page_allocator, 1 << 24);
    var words = std.mem.tokenizeAny(u8, input, " \t\r\n");
    var sum: i64 = 0;
    while (words.next()) |w| {
        sum += try std.fmt.parseInt(i64, w, 10);
    }
    try std.io.getStdOut().writer().print("{d}\n", .{sum});
}
