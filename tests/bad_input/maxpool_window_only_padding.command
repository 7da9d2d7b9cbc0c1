forward
