#!/bin/sh
echo "hi"
exit 0
