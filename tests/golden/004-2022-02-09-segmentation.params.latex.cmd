params --format latex problems/004-2022-02-09-segmentation.json
