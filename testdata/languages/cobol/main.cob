       IDENTIFICATION DIVISION.
       PROGRAM-ID. SUMNUMS.
       DATA DIVISION.
       WORKING-STORAGE SECTION.
       01 WS-LINE     PIC X(4096).
       01 WS-TOKEN    PIC X(40).
       01 WS-PTR      PIC 9(5).
       01 WS-TOTAL    PIC S9(18) VALUE 0.
       01 WS-OUT      PIC -(18)9.
       01 WS-EOF      PIC X VALUE 'N'.
       PROCEDURE DIVISION.
           PERFORM UNTIL WS-EOF = 'Y'
               MOVE SPACES TO WS-LINE
               ACCEPT WS-LINE
                   ON EXCEPTION MOVE 'Y' TO WS-EOF
               END-ACCEPT
               INSPECT WS-LINE REPLACING ALL X'09' BY SPACE
               INSPECT WS-LINE REPLACING ALL X'0D' BY SPACE
               MOVE 1 TO WS-PTR
               PERFORM UNTIL WS-PTR > LENGTH OF WS-LINE
                   MOVE SPACES TO WS-TOKEN
                   UNSTRING WS-LINE DELIMITED BY ALL SPACE
                       INTO WS-TOKEN WITH POINTER WS-PTR
                   END-UNSTRING
                   IF WS-TOKEN NOT = SPACES
                       COMPUTE WS-TOTAL = WS-TOTAL
                           + FUNCTION NUMVAL(WS-TOKEN)
                   END-IF
               END-PERFORM
           END-PERFORM
           MOVE WS-TOTAL TO WS-OUT
           DISPLAY FUNCTION TRIM(WS-OUT)
           STOP RUN.
