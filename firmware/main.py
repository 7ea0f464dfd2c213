# Zarya flight software entry point: pick the board, start the core, add the applications.
import board
from core.app import App


def main():
    app = App(board.select())
    app.run()


main()
