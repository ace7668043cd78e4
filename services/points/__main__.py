from services.points.main import main

main()
