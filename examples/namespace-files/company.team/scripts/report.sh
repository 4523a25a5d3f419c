#!/bin/sh
echo "report from a namespace file"
