compare --format latex problems/000-4b-arch1-5x5.json problems/000-4b-arch2-1x1-bottleneck.json
